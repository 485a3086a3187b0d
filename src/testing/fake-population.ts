import type { ResolvedFakeOptions } from './fake-options.js';
import {
  AWKWARD_TEXT,
  COMPANY_WORDS,
  FIRST_NAMES,
  LAST_NAMES,
  LIBS,
  PLACES,
  PLANS,
} from './fake-vocabulary.js';
import type { FakeJsonValue } from './json-text.js';
import { hash2, hash3, hex, mix32, SeededRandom } from './prng.js';
import { DAY_MS } from './project-calendar.js';

/** One user of the fake project. */
export interface FakeUser {
  readonly index: number;
  readonly distinctId: string;
  readonly deviceId: string;
  readonly place: number;
  readonly lib: number;
  /** Identified users also carry `$user_id` on their events. */
  readonly identified: boolean;
  readonly company: number;
  readonly hasProfile: boolean;
}

/** A user or group profile as Engage returns it. */
export interface FakeProfile {
  readonly $distinct_id: string;
  readonly $properties: { readonly [key: string]: FakeJsonValue };
}

/** A saved cohort: a fixed member list, some members without a profile. */
export interface FakeCohort {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly created: string;
  readonly isVisible: boolean;
  readonly members: readonly string[];
}

/** A saved funnel: an ordered list of event names. */
export interface FakeFunnel {
  readonly funnelId: number;
  readonly name: string;
  readonly steps: readonly string[];
}

/** A group (company): its id is a 64-bit integer when `bigIntegers` is on. */
export interface FakeCompany {
  readonly id: bigint | number;
  readonly idText: string;
  readonly name: string;
}

function pad9(value: number): string {
  return String(value % 1_000_000_000).padStart(9, '0');
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function asciiLower(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

/**
 * Users, profiles, groups, cohorts and funnels: the small, fully materialised part of the data set.
 * Events refer to users and companies by index.
 */
export class FakePopulation {
  readonly users: readonly FakeUser[];
  readonly companies: readonly FakeCompany[];
  readonly userProfiles: readonly FakeProfile[];
  readonly groupProfiles: readonly FakeProfile[];
  readonly cohorts: readonly FakeCohort[];
  readonly funnels: readonly FakeFunnel[];
  /** The one group key the fake serves, as Engage's `data_group_id` (a long integer, kept as text). */
  readonly dataGroupId: string;
  /** Users by activity rank: rank 0 sends the most events. */
  readonly usersByActivity: Int32Array;
  private readonly profileIndex = new Map<string, FakeProfile>();

  constructor(private readonly options: ResolvedFakeOptions) {
    const seed = options.seedHash;
    this.dataGroupId = `2${pad9(mix32(seed ^ 0xd47a))}${pad9(mix32(seed ^ 0x96))}`;
    this.companies = this.makeCompanies(seed);
    this.users = this.makeUsers(seed);
    this.usersByActivity = this.rankUsers(seed);
    this.userProfiles = this.users.filter((u) => u.hasProfile).map((u) => this.makeUserProfile(u));
    for (const profile of this.userProfiles) this.profileIndex.set(profile.$distinct_id, profile);
    this.groupProfiles = this.companies.map((c, i) => this.makeGroupProfile(c, i));
    this.cohorts = this.makeCohorts(seed);
    this.funnels = this.makeFunnels(seed);
  }

  /** The user profile with this distinct id, if the user has one. */
  profileOf(distinctId: string): FakeProfile | undefined {
    return this.profileIndex.get(distinctId);
  }

  private makeCompanies(seed: number): FakeCompany[] {
    const count = Math.max(3, Math.ceil(this.options.users / 25));
    const companies: FakeCompany[] = [];
    for (let c = 0; c < count; c++) {
      const h = hash2(seed ^ 0xc0, c);
      // 19 digits starting with 3: above 2^53, below 2^63; the low digits embed `c` for uniqueness.
      const idText = this.options.bigIntegers
        ? `3${pad9(h)}${pad9(c * 1000 + (mix32(h) % 1000))}`
        : `${100000 + c}`;
      const id = this.options.bigIntegers ? BigInt(idText) : Number(idText);
      const word = COMPANY_WORDS[h % COMPANY_WORDS.length] as string;
      companies.push({ id, idText, name: `${word} ${c + 1}` });
    }
    return companies;
  }

  private makeUsers(seed: number): FakeUser[] {
    const users: FakeUser[] = [];
    const rng = new SeededRandom(0);
    for (let index = 0; index < this.options.users; index++) {
      rng.reseed(hash2(seed ^ 0x05e7, index));
      // mix32 is a bijection, so distinct indexes give distinct ids.
      const distinctId = `u_${hex(mix32((index + seed) | 0), 8)}`;
      users.push({
        index,
        distinctId,
        deviceId: `${hex(rng.uint32(), 8)}-${hex(rng.uint32(), 4)}`,
        place: rng.int(PLACES.length),
        lib: rng.int(LIBS.length),
        identified: rng.chance(0.7),
        company: rng.int(this.companies.length),
        hasProfile: rng.chance(this.options.profileShare),
      });
    }
    return users;
  }

  private rankUsers(seed: number): Int32Array {
    const order = Int32Array.from(this.users.map((u) => u.index));
    // Fisher-Yates with the fake's own PRNG: the busiest users are not simply the first ones.
    const rng = new SeededRandom(seed ^ 0x5a4c);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const tmp = order[i] as number;
      order[i] = order[j] as number;
      order[j] = tmp;
    }
    return order;
  }

  private makeUserProfile(user: FakeUser): FakeProfile {
    const rng = new SeededRandom(hash2(this.options.seedHash ^ 0x9f0f, user.index));
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const place = PLACES[user.place] ?? PLACES[0];
    const rangeStart = this.options.startDay * DAY_MS;
    const company = this.companies[user.company] as FakeCompany;
    const properties: Record<string, FakeJsonValue> = {
      $created: isoSeconds(rangeStart - rng.range(1, 400) * DAY_MS + rng.int(DAY_MS)),
      $email: `${asciiLower(first)}.${asciiLower(last)}.${user.index}@example.com`,
      $name: `${first} ${last}`,
      $last_seen: isoSeconds(rangeStart + rng.int(this.options.days * DAY_MS)),
      $city: place?.city ?? 'Lyon',
      $country_code: place?.country ?? 'FR',
      $timezone: place?.timezone ?? 'UTC',
      plan: rng.pick(PLANS),
      account_id: company.id,
      'Lifetime Value': Math.round(rng.float() * 100_000) / 100,
      logins: rng.int(500),
      beta: rng.chance(0.2),
    };
    if (this.options.awkwardText) {
      properties.nickname = rng.chance(0.3) ? rng.pick(AWKWARD_TEXT) : null;
      properties.Plan = rng.pick(PLANS).toUpperCase();
      properties.tags = rng.chance(0.5) ? ['early-adopter', 'β-tester'] : [];
      properties.preferences = { notifications: { email: rng.chance(0.5), push: { quiet_hours: [22, 7] } } };
      properties.devices = [
        { type: 'phone', os: rng.pick(['iOS', 'Android']) },
        { type: 'laptop', os: null },
      ];
    }
    return { $distinct_id: user.distinctId, $properties: properties };
  }

  private makeGroupProfile(company: FakeCompany, index: number): FakeProfile {
    const rng = new SeededRandom(hash2(this.options.seedHash ^ 0x6a0b, index));
    const created = this.options.startDay * DAY_MS - rng.range(30, 900) * DAY_MS;
    return {
      $distinct_id: company.idText,
      $properties: {
        $name: company.name,
        $created: isoSeconds(created + rng.int(DAY_MS)),
        plan: rng.pick(PLANS),
        employees: rng.range(2, 5000),
        industry: rng.pick(['retail', 'media', 'finance', 'health']),
        account_id: company.id,
        $country_code: (PLACES[rng.int(PLACES.length)] as (typeof PLACES)[number]).country,
      },
    };
  }

  private makeCohorts(seed: number): FakeCohort[] {
    const specs = [
      { name: 'Power users', share: 0.15, description: 'Most active users' },
      { name: 'Churn risk', share: 0.08, description: 'Quiet for two weeks' },
      { name: 'Café fans ☕', share: 0.3, description: 'Ordered coffee at least once' },
    ];
    return specs.map((spec, c) => {
      const members = this.users.filter((u) => hash3(seed ^ 0xc0407, c, u.index) / 4294967296 < spec.share);
      // Every cohort must exercise include_all_users: make sure one member has no profile.
      if (!members.some((u) => !u.hasProfile)) {
        const orphan = this.users.find((u) => !u.hasProfile);
        if (orphan) members.push(orphan);
      }
      if (members.length === 0 && this.users[0]) members.push(this.users[0]);
      members.sort((a, b) => a.index - b.index);
      return {
        id: 100_000 + c * 1000 + (hash2(seed, c) % 1000),
        name: spec.name,
        description: spec.description,
        created: `${new Date((this.options.startDay - 30 + c) * DAY_MS).toISOString().slice(0, 10)} 10:00:00`,
        isVisible: c !== 1,
        members: members.map((u) => u.distinctId),
      };
    });
  }

  private makeFunnels(seed: number): FakeFunnel[] {
    const names = new Set(this.options.eventNames.map((n) => n.name));
    const wanted = [
      { name: 'Signup to purchase', steps: ['Sign Up', 'Purchase'] },
      { name: 'Browse to buy', steps: ['Page View', 'Add To Cart', 'Purchase'] },
      { name: 'Search to cart', steps: ['Search', 'Add To Cart'] },
    ].filter((f) => f.steps.every((s) => names.has(s)));
    if (wanted.length === 0) {
      const all = this.options.eventNames.map((n) => n.name);
      wanted.push({ name: 'First events', steps: all.slice(0, Math.min(2, all.length)) });
    }
    return wanted.map((f, i) => ({ funnelId: 7000 + i * 500 + (hash2(seed ^ 0xf0, i) % 500), ...f }));
  }
}
