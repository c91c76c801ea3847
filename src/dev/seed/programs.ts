import type { Faker } from '@faker-js/faker';
import type { Random } from './random.js';

/** Who a program is for: drives who registers for it. */
export type Audience = 'children' | 'teens' | 'adults' | 'all';

/** A kind of library program, and how to title and describe one. */
interface Program {
  audience: Audience;
  minutes: number;
  /** Local start hours (America/Denver). */
  hours: readonly number[];
  title(f: Faker, r: Random): string;
  description: string;
}

const cap = (w: string): string => (w.length > 0 ? w[0]!.toUpperCase() + w.slice(1) : w);

/** Jefferson County places a local-history talk may be about. */
const PLACES = [
  'Golden',
  'Morrison',
  'Evergreen',
  'Arvada',
  'Lakewood',
  'Wheat Ridge',
  'Edgewater',
  'Conifer',
  'Idledale',
  'Kittredge',
  'Indian Hills',
  'Lookout Mountain',
];

/** The programs a Jefferson County branch runs, story times to tax help. */
export const PROGRAMS: readonly Program[] = [
  {
    audience: 'children',
    minutes: 30,
    hours: [10, 11],
    title: () => 'Toddler Storytime',
    description: 'Stories, songs and rhymes for children ages 2 to 3 and their grown-ups.',
  },
  {
    audience: 'children',
    minutes: 30,
    hours: [10],
    title: () => 'Baby Lapsit',
    description: 'Bounces, rhymes and board books for babies up to 18 months with a caregiver.',
  },
  {
    audience: 'children',
    minutes: 60,
    hours: [15, 16],
    title: () => 'LEGO Build Club',
    description: "Free building time with the library's LEGO collection. Ages 6 to 12.",
  },
  {
    audience: 'children',
    minutes: 45,
    hours: [16],
    title: (f) => `Read to a Therapy Dog: ${f.animal.dog()}`,
    description: 'Young readers practice reading aloud to a trained therapy dog.',
  },
  {
    audience: 'teens',
    minutes: 120,
    hours: [16, 17],
    title: () => 'Teen Gaming Night',
    description: 'Console and tabletop games for grades 6 to 12. Snacks provided.',
  },
  {
    audience: 'teens',
    minutes: 90,
    hours: [16],
    title: (f) => `Teen Maker Lab: ${cap(f.word.noun())} Edition`,
    description: 'Hands-on projects with the makerspace tools: 3D printing, circuits and crafts.',
  },
  {
    audience: 'adults',
    minutes: 90,
    hours: [18, 19],
    title: (f) => `Book Club: ${f.book.title()}`,
    description: "Join neighbors to discuss this month's selection. Copies available at the desk.",
  },
  {
    audience: 'adults',
    minutes: 60,
    hours: [10, 14],
    title: () => 'Tech Help: Smartphones and Tablets',
    description: "One-on-one help with your device, apps and the library's digital collections.",
  },
  {
    audience: 'adults',
    minutes: 90,
    hours: [18],
    title: (f) => `Author Talk: ${f.person.firstName()} ${f.person.lastName()}`,
    description: 'A local author reads from and discusses their new book, followed by a signing.',
  },
  {
    audience: 'adults',
    minutes: 120,
    hours: [13],
    title: () => 'Resume and Job Search Lab',
    description: 'Career coaches review resumes and help with online applications.',
  },
  {
    audience: 'adults',
    minutes: 60,
    hours: [18],
    title: () => 'ESL Conversation Group',
    description: 'Practice English conversation in a friendly, informal group.',
  },
  {
    audience: 'adults',
    minutes: 120,
    hours: [10],
    title: () => 'AARP Tax-Aide',
    description: 'Free tax preparation help from certified volunteers. Bring your documents.',
  },
  {
    audience: 'all',
    minutes: 60,
    hours: [11, 14],
    title: () => 'Seed Library Workshop: High-Altitude Gardening',
    description:
      'Learn what grows along the Front Range and take home seeds from the seed library.',
  },
  {
    audience: 'all',
    minutes: 90,
    hours: [18],
    title: (_f, r) => `Colorado History Talk: ${r.pick(PLACES)} Then and Now`,
    description: "A historian shares photographs and stories from Jefferson County's past.",
  },
  {
    audience: 'all',
    minutes: 120,
    hours: [13],
    title: () => 'Knitting and Crochet Circle',
    description: 'Bring a project or learn the basics; yarn and needles available.',
  },
  {
    audience: 'all',
    minutes: 120,
    hours: [14],
    title: () => 'Family Movie Afternoon',
    description: 'A family-friendly film on the big screen. Popcorn provided.',
  },
];

/** Hours to add to a Denver local time for UTC (MST; close enough for seeded data). */
export const DENVER_UTC_OFFSET_HOURS = 7;
