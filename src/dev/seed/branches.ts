/** A Jefferson County Public Library branch, as the catalog stores it. */
export interface BranchRow {
  id: string;
  code: string;
  name: string;
  address: string;
}

/**
 * Ten Jefferson County, Colorado library branches. br_01 (Lakewood) and br_02 (Belmar, also in
 * Lakewood) are the persona patrons' home branches. The weight is the branch's share of the
 * collection and of patrons: the big regional libraries hold more.
 */
export const BRANCHES: ReadonlyArray<
  BranchRow & { weight: number; city: string; zips: readonly string[] }
> = [
  {
    id: 'br_01',
    code: 'LKW',
    name: 'Lakewood Library',
    address: '10200 W 20th Ave, Lakewood, CO 80215',
    weight: 16,
    city: 'Lakewood',
    zips: ['80214', '80215', '80226', '80232'],
  },
  {
    id: 'br_02',
    code: 'BEL',
    name: 'Belmar Library',
    address: '555 S Allison Pkwy, Lakewood, CO 80226',
    weight: 14,
    city: 'Lakewood',
    zips: ['80226', '80227', '80228'],
  },
  {
    id: 'br_03',
    code: 'ARV',
    name: 'Arvada Library',
    address: '7525 W 57th Ave, Arvada, CO 80002',
    weight: 13,
    city: 'Arvada',
    zips: ['80002', '80003', '80004'],
  },
  {
    id: 'br_04',
    code: 'GLD',
    name: 'Golden Library',
    address: '1019 10th St, Golden, CO 80401',
    weight: 8,
    city: 'Golden',
    zips: ['80401', '80403'],
  },
  {
    id: 'br_05',
    code: 'EVG',
    name: 'Evergreen Library',
    address: '5000 County Hwy 73, Evergreen, CO 80439',
    weight: 7,
    city: 'Evergreen',
    zips: ['80439'],
  },
  {
    id: 'br_06',
    code: 'COL',
    name: 'Columbine Library',
    address: '7706 W Bowles Ave, Littleton, CO 80123',
    weight: 13,
    city: 'Littleton',
    zips: ['80123', '80127', '80128'],
  },
  {
    id: 'br_07',
    code: 'EDG',
    name: 'Edgewater Library',
    address: '1800 Harlan St, Edgewater, CO 80214',
    weight: 4,
    city: 'Edgewater',
    zips: ['80214'],
  },
  {
    id: 'br_08',
    code: 'CON',
    name: 'Conifer Library',
    address: '10441 County Hwy 73, Conifer, CO 80433',
    weight: 5,
    city: 'Conifer',
    zips: ['80433'],
  },
  {
    id: 'br_09',
    code: 'STL',
    name: 'Standley Lake Library',
    address: '8485 Kipling St, Arvada, CO 80005',
    weight: 12,
    city: 'Arvada',
    zips: ['80005', '80004'],
  },
  {
    id: 'br_10',
    code: 'WHR',
    name: 'Wheat Ridge Library',
    address: '5475 W 32nd Ave, Wheat Ridge, CO 80212',
    weight: 8,
    city: 'Wheat Ridge',
    zips: ['80033', '80212'],
  },
];
