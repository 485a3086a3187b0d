import type { FakePopulation, FakeProfile } from './fake-population.js';
import type { FakeJsonValue } from './json-text.js';
import { BadRequest, optionalWhere } from './request-params.js';

/** Which profiles to return: the Engage filters of section 4, as typed values. */
export interface FakeProfileFilter {
  /** Expression over profile properties (the where subset). */
  where?: string;
  distinctId?: string;
  distinctIds?: readonly string[];
  /** A seeded cohort's id (`filter_by_cohort`). */
  cohortId?: number;
  /** With `cohortId`: also return members without a profile. Default `true`. */
  includeAllUsers?: boolean;
  /** Query group profiles of this group key instead of users. */
  dataGroupId?: string;
  /** Names of the properties to return. */
  outputProperties?: readonly string[];
}

/**
 * The profiles an Engage query matches, in a fixed order (user index, or group index). Cohort
 * members without a profile appear with empty `$properties` when `includeAllUsers` is on.
 */
export function matchProfiles(population: FakePopulation, filter: FakeProfileFilter): FakeProfile[] {
  let candidates: FakeProfile[];
  if (filter.dataGroupId !== undefined) {
    if (filter.cohortId !== undefined)
      throw new BadRequest('filter_by_cohort cannot be used with data_group_id');
    candidates = filter.dataGroupId === population.dataGroupId ? [...population.groupProfiles] : [];
  } else if (filter.cohortId !== undefined) {
    const cohort = population.cohorts.find((c) => c.id === filter.cohortId);
    if (!cohort) throw new BadRequest(`Cohort not found: ${filter.cohortId}`);
    const includeAll = filter.includeAllUsers ?? true;
    candidates = [];
    for (const member of cohort.members) {
      const profile = population.profileOf(member);
      if (profile) candidates.push(profile);
      else if (includeAll) candidates.push({ $distinct_id: member, $properties: {} });
    }
  } else {
    candidates = [...population.userProfiles];
  }
  if (filter.distinctId !== undefined)
    candidates = candidates.filter((p) => p.$distinct_id === filter.distinctId);
  if (filter.distinctIds !== undefined) {
    const wanted = new Set(filter.distinctIds);
    candidates = candidates.filter((p) => wanted.has(p.$distinct_id));
  }
  const where = optionalWhere(filter.where);
  if (where !== null) {
    candidates = candidates.filter((p) =>
      where((name) =>
        name === '$distinct_id'
          ? p.$distinct_id
          : Object.hasOwn(p.$properties, name)
            ? p.$properties[name]
            : undefined,
      ),
    );
  }
  const output = filter.outputProperties;
  if (output !== undefined) {
    candidates = candidates.map((p) => {
      const properties: Record<string, FakeJsonValue> = {};
      for (const name of output) {
        const value = p.$properties[name];
        if (value !== undefined) properties[name] = value;
      }
      return { $distinct_id: p.$distinct_id, $properties: properties };
    });
  }
  return candidates;
}
