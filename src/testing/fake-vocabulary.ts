/**
 * Fixed word lists the fake draws from. Several entries are deliberately awkward: non-ASCII,
 * emoji, raw line separators (U+2028, U+2029), quotes and backslashes, because the client must
 * carry them through byte for byte.
 */

/** A place: `$city`, `$region`, `mp_country_code` and the profile `$timezone`. */
export interface FakePlace {
  readonly city: string;
  readonly region: string;
  readonly country: string;
  readonly timezone: string;
}

/** Places users live in. */
export const PLACES: readonly FakePlace[] = [
  { city: 'Lyon', region: 'Auvergne-Rhone-Alpes', country: 'FR', timezone: 'Europe/Paris' },
  { city: 'San Francisco', region: 'California', country: 'US', timezone: 'America/Los_Angeles' },
  { city: 'New York', region: 'New York', country: 'US', timezone: 'America/New_York' },
  { city: 'São Paulo', region: 'São Paulo', country: 'BR', timezone: 'America/Sao_Paulo' },
  { city: 'Zürich', region: 'Zürich', country: 'CH', timezone: 'Europe/Zurich' },
  { city: 'Kraków', region: 'Lesser Poland', country: 'PL', timezone: 'Europe/Warsaw' },
  { city: '東京', region: 'Tokyo', country: 'JP', timezone: 'Asia/Tokyo' },
  { city: 'Bengaluru', region: 'Karnataka', country: 'IN', timezone: 'Asia/Kolkata' },
  { city: 'London', region: 'England', country: 'GB', timezone: 'Europe/London' },
  { city: 'Sydney', region: 'New South Wales', country: 'AU', timezone: 'Australia/Sydney' },
  { city: 'Tel Aviv', region: 'Tel Aviv', country: 'IL', timezone: 'Asia/Jerusalem' },
  { city: 'Berlin', region: 'Berlin', country: 'DE', timezone: 'Europe/Berlin' },
];

/** Text values full of traps for parsers and line splitters. */
export const AWKWARD_TEXT: readonly string[] = [
  'emoji 🎉🚀 party',
  'line\u2028separator',
  'para\u2029graph',
  'multi\nline',
  'say "hi"',
  'back\\slash',
  'tab\there',
  '東京タワー',
  'עברית RTL',
  'zero\u200bwidth',
  '👩‍👩‍👧‍👦 family',
  'naïve café',
];

/** Plain search terms. */
export const SEARCH_TERMS: readonly string[] = [
  'shoes',
  'red dress',
  'laptop',
  'coffee',
  'gift card',
  'tent',
];

/** Page paths for `Page View`. */
export const PAGE_PATHS: readonly string[] = ['/', '/pricing', '/docs', '/blog/launch', '/cart', '/account'];

/** Page categories (a property name with a space). */
export const PAGE_CATEGORIES: readonly string[] = ['home', 'marketing', 'docs', 'shop'];

/** SDK families and what they set. */
export const LIBS: readonly { lib: string; os: readonly string[]; version: string }[] = [
  { lib: 'web', os: ['Windows', 'Mac OS X', 'Linux'], version: '2.55.1' },
  { lib: 'android', os: ['Android'], version: '7.5.2' },
  { lib: 'iphone', os: ['iOS'], version: '4.3.0' },
];

/** Browsers for web events. */
export const BROWSERS: readonly string[] = ['Chrome', 'Firefox', 'Safari', 'Edge'];

/** Plans, for events and profiles. */
export const PLANS: readonly string[] = ['free', 'team', 'enterprise'];

/** Currencies for `Purchase`. */
export const CURRENCIES: readonly string[] = ['USD', 'EUR', 'GBP', 'JPY'];

/** Marketing sources. */
export const UTM_SOURCES: readonly string[] = ['news', 'google', 'twitter', 'partner'];

/** Product names. */
export const PRODUCTS: readonly string[] = [
  'Trail Tent',
  'Espresso Cup ☕',
  'Wool Socks',
  'Desk Lamp',
  '"Quoted" Mug',
];

/** First names for profile `$name`. */
export const FIRST_NAMES: readonly string[] = [
  'Ana',
  'Björn',
  'Chloé',
  'Dmitri',
  'Emeka',
  'Fatima',
  'Gō',
  'Hana',
];

/** Last names for profile `$name`. */
export const LAST_NAMES: readonly string[] = ['Silva', 'Müller', "O'Brien", 'Nakamura', 'Okafor', 'Kowalska'];

/** Company names for group profiles. */
export const COMPANY_WORDS: readonly string[] = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Stark',
  'Wayne',
];

/** Rare property names that are hard to carry as identifiers. */
export const AWKWARD_KEYS: readonly string[] = [
  'Emoji 🎉 key',
  'key with "quotes"',
  'line\nbreak key',
  'dotted.key.name',
  'trailing space ',
];
