// Deterministic, Mixpanel-shaped events for benchmarks: the property mix of a real export
// (SDK defaults, a few custom properties, a 19-digit id), about 350 bytes of JSON each.
const EVENTS = ['Page View', 'Purchase', 'Sign Up', 'Add To Cart', 'Search', 'Share'];
const PLANS = ['free', 'team', 'business', 'enterprise'];
const CITIES = ['Lyon', 'Paris', 'Berlin', 'New York', 'São Paulo', 'Tokyo'];

export function* mixpanelEvents(n) {
  const start = Date.UTC(2024, 5, 1);
  for (let i = 0; i < n; i++) {
    const time = start + i * 2000;
    yield {
      event_name: EVENTS[i % EVENTS.length],
      event_time: time,
      distinct_id: `user_${(i * 7919) % 50000}`,
      insert_id: `5f0c9d7e-0a41-4c6e-${String(i).padStart(12, '0')}`,
      properties: {
        time: Math.floor(time / 1000),
        mp_processing_time_ms: time + 1500,
        $city: CITIES[i % CITIES.length],
        mp_country_code: 'FR',
        mp_lib: 'web',
        $browser: 'Chrome',
        $os: 'Mac OS X',
        $current_url: `https://example.com/page/${i % 100}`,
        utm_source: i % 3 === 0 ? 'news' : null,
        amount: (i % 1000) / 10,
        plan: PLANS[i % PLANS.length],
        account_id: 3928097563762691601n + BigInt(i % 1000),
      },
    };
  }
}
