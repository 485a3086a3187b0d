// Deterministic, Engage-shaped profiles for benchmarks: the property mix of a real profile export
// (reserved `$` properties, a few custom ones, a 19-digit id), about 300 bytes of JSON each.
const PLANS = ['free', 'team', 'business', 'enterprise'];
const CITIES = ['Lyon', 'Paris', 'Berlin', 'New York', 'São Paulo', 'Tokyo'];

export function* mixpanelProfiles(n) {
  const start = Date.UTC(2024, 5, 1);
  for (let i = 0; i < n; i++) {
    const lastSeen = new Date(start + i * 2000).toISOString().slice(0, 19);
    yield {
      distinct_id: `user_${String(i).padStart(9, '0')}`,
      last_seen: `${lastSeen}Z`,
      properties: {
        $email: `user${i}@example.com`,
        $name: `User ${i}`,
        $city: CITIES[i % CITIES.length],
        $country_code: 'FR',
        $last_seen: lastSeen,
        $created: '2023-01-01T00:00:00',
        plan: PLANS[i % PLANS.length],
        lifetime_value: (i % 10000) / 10,
        purchases: i % 37,
        newsletter: i % 2 === 0,
        account_id: 3928097563762691601n + BigInt(i % 1000),
      },
    };
  }
}
