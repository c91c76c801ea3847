import type { Faker } from '@faker-js/faker';
import type { Format } from './formats.js';
import type { Random } from './random.js';

/** A subject heading; non-fiction ones carry their Dewey class for the call number. */
interface Subject {
  heading: string;
  dewey?: string;
  /** How a title on this subject may name it. */
  topic?: string;
}

const FICTION: readonly Subject[] = [
  'Mystery fiction',
  'Science fiction',
  'Fantasy fiction',
  'Romance fiction',
  'Historical fiction',
  'Thrillers (Fiction)',
  'Western stories',
  'Humorous fiction',
  'Domestic fiction',
  'Graphic novels',
  "Children's stories",
  'Young adult fiction',
  'Short stories',
  'Colorado -- Fiction',
].map((heading) => ({ heading }));

const NONFICTION: readonly Subject[] = [
  { heading: 'Cooking', dewey: '641.5', topic: 'Home Cooking' },
  { heading: 'Gardening -- Colorado', dewey: '635.09788', topic: 'High-Altitude Gardening' },
  { heading: 'Colorado -- History', dewey: '978.8', topic: 'Colorado History' },
  { heading: 'Computer programming', dewey: '005.13', topic: 'Programming' },
  { heading: 'Finance, Personal', dewey: '332.024', topic: 'Personal Finance' },
  { heading: 'Hiking -- Rocky Mountains', dewey: '796.51', topic: 'Hiking the Front Range' },
  { heading: 'Birds -- Colorado', dewey: '598.09788', topic: 'Colorado Birds' },
  { heading: 'Parenting', dewey: '649.1', topic: 'Parenting' },
  { heading: 'Psychology', dewey: '150', topic: 'the Mind' },
  { heading: 'World War, 1939-1945', dewey: '940.53', topic: 'the Second World War' },
  { heading: 'Astronomy', dewey: '520', topic: 'the Night Sky' },
  { heading: 'Mathematics', dewey: '510', topic: 'Mathematics' },
  { heading: 'American poetry', dewey: '811.6', topic: 'Poems' },
  { heading: 'Europe -- Description and travel', dewey: '914.04', topic: 'Europe' },
  { heading: 'Dwellings -- Maintenance and repair', dewey: '643.7', topic: 'Home Repair' },
  { heading: 'Yoga', dewey: '613.7046', topic: 'Yoga' },
  { heading: 'Dogs', dewey: '636.7', topic: 'Dogs' },
  { heading: 'Art -- History', dewey: '709', topic: 'Art' },
  { heading: 'Music', dewey: '780', topic: 'Music' },
  { heading: 'Biography', dewey: '920', topic: 'a Life' },
  { heading: 'Climatic changes', dewey: '363.73874', topic: 'Climate Change' },
  { heading: 'Philosophy', dewey: '100', topic: 'Philosophy' },
  { heading: 'Spanish language -- Textbooks', dewey: '468', topic: 'Spanish' },
  { heading: 'Skiing -- Colorado', dewey: '796.93', topic: 'Skiing' },
];

const FILM: readonly string[] = [
  'Feature films',
  'Documentary films',
  "Children's films",
  'Television series',
  'Comedy films',
];
const GAME: readonly string[] = [
  'Video games',
  'Adventure games',
  'Sports video games',
  'Puzzle games',
];
const PLATFORMS: readonly string[] = ['SWITCH', 'PS5', 'XBOX'];
const MAGAZINES: readonly string[] = [
  'Colorado Country Life',
  'Consumer Reports',
  'National Geographic',
  'The New Yorker',
  'Backpacker',
  "Cook's Illustrated",
  'Popular Science',
  'Sunset',
  'Outside',
  'Ranger Rick',
  'The Atlantic',
  'Scientific American',
  'Birds & Blooms',
  "Runner's World",
  '5280',
  'Smithsonian',
];
const ARTICLES = new Set(['the', 'a', 'an']);
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** The bibliographic record of one work, and the call number its copies share. */
export interface Bibliographic {
  title: string;
  creators: string[];
  subjects: string[];
  isbn: string | null;
  year: number;
  callNumber: string;
}

const capitalize = (w: string): string => (w.length > 0 ? w[0]!.toUpperCase() + w.slice(1) : w);

/** Makes bibliographic records: text from Faker, choices from the seeded PRNG. */
export class Bibliographer {
  readonly #authors: string[] = [];

  constructor(
    private readonly faker: Faker,
    private readonly rng: Random,
    private readonly currentYear: number,
    /** Distinct authors to draw from, so prolific authors have many works. */
    private readonly authorPool: number,
  ) {}

  /** A complete record for a work of `format`. */
  record(format: Format): Bibliographic {
    switch (format) {
      case 'DVD':
        return this.#film();
      case 'VIDEO_GAME':
        return this.#game();
      case 'MAGAZINE':
        return this.#magazine();
      default:
        return this.#book(format);
    }
  }

  #book(format: Format): Bibliographic {
    const r = this.rng;
    const fiction = r.chance(0.6);
    const creators = [this.#author()];
    if (r.chance(0.12)) creators.push(this.#author());
    const lead = fiction ? r.pick(FICTION) : r.pick(NONFICTION);
    const subjects = [lead.heading];
    if (r.chance(0.4))
      subjects.push(fiction ? r.pick(FICTION).heading : r.pick(NONFICTION).heading);
    const title = fiction ? this.#novelTitle() : this.#topicTitle(lead.topic ?? 'Everything');
    const cutter = this.#cutter(creators[0] ?? title);
    const prefix = format === 'LARGE_PRINT' ? 'LP ' : format === 'AUDIOBOOK' ? 'CD ' : '';
    const callNumber = fiction
      ? `${prefix}FIC ${cutter}`
      : `${prefix}${lead.dewey ?? '000'} ${cutter}`;
    const earliest = format === 'AUDIOBOOK' ? 1985 : format === 'LARGE_PRINT' ? 1970 : 1900;
    return {
      title,
      creators,
      subjects: unique(subjects),
      isbn: this.#isbn(),
      year: this.#year(earliest),
      callNumber,
    };
  }

  #film(): Bibliographic {
    const r = this.rng;
    const title = this.#novelTitle();
    const subjects = unique([r.pick(FILM), ...(r.chance(0.3) ? [r.pick(FICTION).heading] : [])]);
    return {
      title,
      creators: [this.#author()],
      subjects,
      isbn: r.chance(0.3) ? this.#isbn() : null,
      year: this.#year(1960),
      callNumber: `DVD ${this.#titleCutter(title)}`,
    };
  }

  #game(): Bibliographic {
    const r = this.rng;
    const f = this.faker;
    const noun = capitalize(f.word.noun());
    const title = r.pick([
      `Legend of the ${noun}`,
      `Super ${noun} Party`,
      `${noun} Racers`,
      `${capitalize(f.word.adjective())} ${noun}: ${capitalize(f.word.noun())} Edition`,
      `${noun} Quest ${r.int(2, 5)}`,
    ]);
    return {
      title,
      creators: [f.company.name()],
      subjects: [r.pick(GAME)],
      isbn: r.chance(0.2) ? this.#isbn() : null,
      year: this.#year(2005),
      callNumber: `GAME ${r.pick(PLATFORMS)} ${this.#cutter(noun)}`,
    };
  }

  #magazine(): Bibliographic {
    const r = this.rng;
    const name = r.pick(MAGAZINES);
    const year = this.#year(2010);
    return {
      title: `${name}, ${r.pick(MONTHS)} ${year}`,
      creators: [],
      subjects: ['Periodicals'],
      isbn: null,
      year,
      callNumber: `MAG ${this.#titleCutter(name)}`,
    };
  }

  #novelTitle(): string {
    const r = this.rng;
    const f = this.faker;
    const noun = (): string => capitalize(f.word.noun());
    const adjective = (): string => capitalize(f.word.adjective());
    switch (r.int(0, 6)) {
      case 0:
        return f.book.title();
      case 1:
        return `The ${adjective()} ${noun()}`;
      case 2:
        return `${noun()} of ${f.location.city()}`;
      case 3:
        return `A ${noun()} for ${f.person.firstName()}`;
      case 4:
        return `The ${noun()} and the ${noun()}`;
      case 5:
        return `${adjective()} ${noun()}s`;
      default:
        return `What the ${noun()} Knew`;
    }
  }

  #topicTitle(topic: string): string {
    const r = this.rng;
    const f = this.faker;
    switch (r.int(0, 4)) {
      case 0:
        return `The ${capitalize(f.word.adjective())} Guide to ${topic}`;
      case 1:
        return `${topic} for Everyone`;
      case 2:
        return `Understanding ${topic}`;
      case 3:
        return `${topic}: ${r.int(50, 365)} ${capitalize(f.word.noun())}s`;
      default:
        return `A Short History of ${topic}`;
    }
  }

  /** An author from the pool, growing it until it is full. */
  #author(): string {
    if (
      this.#authors.length < this.authorPool &&
      (this.#authors.length < 50 || this.rng.chance(0.5))
    ) {
      const name = `${this.faker.person.firstName()} ${this.faker.person.lastName()}`;
      this.#authors.push(name);
      return name;
    }
    return this.rng.pick(this.#authors);
  }

  /** The first three letters of a name's last word, upper case: the 'SMI' of 'FIC SMI'. */
  #cutter(name: string): string {
    const words = name
      .replace(/[^A-Za-z ]/g, '')
      .trim()
      .split(/\s+/);
    const last = words[words.length - 1] ?? 'XXX';
    return (last.toUpperCase() + 'XXX').slice(0, 3);
  }

  /** The first three letters of a title's first word after any article: the 'GRE' of 'DVD GRE'. */
  #titleCutter(title: string): string {
    const words = title
      .replace(/[^A-Za-z ]/g, '')
      .trim()
      .split(/\s+/);
    const first = words.find((w) => !ARTICLES.has(w.toLowerCase())) ?? words[0] ?? 'XXX';
    return (first.toUpperCase() + 'XXX').slice(0, 3);
  }

  /** A valid ISBN-13 (978 prefix and check digit). */
  #isbn(): string {
    let digits = '978';
    for (let i = 0; i < 9; i++) digits += String(this.rng.int(0, 9));
    let sum = 0;
    for (let i = 0; i < 12; i++) sum += Number(digits[i]) * (i % 2 === 0 ? 1 : 3);
    return digits + String((10 - (sum % 10)) % 10);
  }

  /** A publication year from `earliest` to this year, most of them recent. */
  #year(earliest: number): number {
    const span = this.currentYear - earliest;
    const u = this.rng.float();
    return this.currentYear - Math.floor(span * u * u * u);
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
