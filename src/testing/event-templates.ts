import type { ResolvedFakeOptions } from './fake-options.js';
import type { FakePopulation, FakeUser } from './fake-population.js';
import {
  AWKWARD_KEYS,
  AWKWARD_TEXT,
  BROWSERS,
  CURRENCIES,
  LIBS,
  PAGE_CATEGORIES,
  PAGE_PATHS,
  PLACES,
  PLANS,
  PRODUCTS,
  SEARCH_TERMS,
  UTM_SOURCES,
} from './fake-vocabulary.js';
import type { FakeJsonValue } from './json-text.js';
import { hex, type SeededRandom } from './prng.js';
import { PropBlock, type PropertySink, type PropKey, propKey } from './property-sink.js';

/** Property keys the generator writes, quoted once. */
export const K = {
  apiTimestamp: propKey('$mp_api_timestamp_ms'),
  apiEndpoint: propKey('$mp_api_endpoint'),
  imported: propKey('$import'),
  deviceId: propKey('$device_id'),
  userId: propKey('$user_id'),
  city: propKey('$city'),
  region: propKey('$region'),
  country: propKey('mp_country_code'),
  lib: propKey('mp_lib'),
  libVersion: propKey('$lib_version'),
  os: propKey('$os'),
  browser: propKey('$browser'),
  currentUrl: propKey('$current_url'),
  screenWidth: propKey('$screen_width'),
  browserTwin: propKey('browser'),
  utmSource: propKey('utm_source'),
  utmSourceTwin: propKey('UTM_Source'),
  path: propKey('path'),
  title: propKey('title'),
  pageCategory: propKey('Page Category'),
  query: propKey('query'),
  resultsCount: propKey('results_count'),
  filters: propKey('filters'),
  method: propKey('method'),
  accountId: propKey('account_id'),
  plan: propKey('plan'),
  referralCode: propKey('referral_code'),
  product: propKey('product'),
  productName: propKey('product_name'),
  price: propKey('price'),
  cartSize: propKey('Cart Size'),
  amount: propKey('amount'),
  currency: propKey('currency'),
  items: propKey('items'),
  coupon: propKey('coupon'),
  itemCount: propKey('item_count'),
  duration: propKey('duration_s'),
  autoplay: propKey('autoplay'),
  tags: propKey('tags'),
  size: propKey('size'),
  extraShot: propKey('extra_shot'),
  note: propKey('note'),
  value: propKey('value'),
};
const AWKWARD_PROP_KEYS = AWKWARD_KEYS.map(propKey);
const CURRENT_URLS = PAGE_PATHS.map((p) => `https://shop.example.com${p}`);
const UTM_TWINS = UTM_SOURCES.map((s) => s.charAt(0).toUpperCase() + s.slice(1));
const LOWER_BROWSERS = BROWSERS.map((b) => b.toLowerCase());
const FILTERS_SOME: FakeJsonValue = ['in_stock', 'sale'];
const FILTERS_NONE: FakeJsonValue = [];
const TAGS_SHORT: FakeJsonValue = ['tutorial', 'short'];
const TAGS_LONG: FakeJsonValue = ['long'];
const DESKTOP_WIDTHS = [1280, 1440, 1920];
const MOBILE_WIDTHS = [390, 412, 428];
const LOGIN_METHODS = ['password', 'google', 'sso'];
const CUP_SIZES = ['small', 'grande', 'venti'];

/**
 * What each event carries besides its head: the properties fixed per user, the SDK defaults and
 * the custom properties of each event name. Draws come from the generator's PRNG, in a fixed order,
 * so the same slot always gets the same properties.
 */
export class EventTemplates {
  private readonly blocks: ({ identity: PropBlock; device: PropBlock } | undefined)[] = [];

  constructor(
    private readonly options: ResolvedFakeOptions,
    private readonly population: FakePopulation,
    private readonly rng: SeededRandom,
  ) {}

  /** A rare property whose name is awkward as an identifier (emoji, quotes, line break…). */
  awkwardKey(): PropKey {
    return this.rng.pick(AWKWARD_PROP_KEYS);
  }

  /** A text value full of traps. */
  awkwardText(): string {
    return this.rng.pick(AWKWARD_TEXT);
  }

  /** SDK defaults: library, OS, browser, URL, screen, UTM source (with its case twin). */
  sdkProperties(sink: PropertySink, user: FakeUser): void {
    const rng = this.rng;
    const lib = LIBS[user.lib] as (typeof LIBS)[number];
    if (lib.lib === 'web') {
      const browser = user.index % BROWSERS.length;
      sink.str(K.currentUrl, rng.pick(CURRENT_URLS));
      sink.num(K.screenWidth, rng.pick(DESKTOP_WIDTHS));
      // `$browser` and `browser` are two different properties (section 7.4).
      if (this.options.awkwardText && rng.chance(0.05))
        sink.str(K.browserTwin, LOWER_BROWSERS[browser] as string);
    } else {
      sink.num(K.screenWidth, rng.pick(MOBILE_WIDTHS));
    }
    if (rng.chance(0.3)) {
      const source = rng.int(UTM_SOURCES.length);
      sink.str(K.utmSource, UTM_SOURCES[source] as string);
      // Case twins: `utm_source` and `UTM_Source` coexist on one event.
      if (this.options.awkwardText && rng.chance(0.1)) sink.str(K.utmSourceTwin, UTM_TWINS[source] as string);
    }
  }

  /**
   * Properties fixed per user, prepared once: `$device_id` and `$user_id` (only when the event
   * carries the user's distinct_id), then place and SDK properties.
   */
  userBlocks(user: FakeUser): { identity: PropBlock; device: PropBlock } {
    let blocks = this.blocks[user.index];
    if (blocks === undefined) {
      const identity: [PropKey, string][] = [[K.deviceId, user.deviceId]];
      if (user.identified) identity.push([K.userId, user.distinctId]);
      const place = PLACES[user.place] as (typeof PLACES)[number];
      const lib = LIBS[user.lib] as (typeof LIBS)[number];
      const device: [PropKey, string][] = [
        [K.city, place.city],
        [K.region, place.region],
        [K.country, place.country],
        [K.lib, lib.lib],
        [K.libVersion, lib.version],
        [K.os, lib.os[user.index % lib.os.length] as string],
      ];
      if (lib.lib === 'web') device.push([K.browser, BROWSERS[user.index % BROWSERS.length] as string]);
      blocks = { identity: new PropBlock(identity), device: new PropBlock(device) };
      this.blocks[user.index] = blocks;
    }
    return blocks;
  }

  private accountId(sink: PropertySink, user: FakeUser): void {
    const company = this.population.companies[user.company];
    if (company === undefined) return;
    if (typeof company.id === 'bigint') sink.json(K.accountId, company.id);
    else sink.num(K.accountId, company.id);
  }

  /** The custom properties of one event name. */
  eventProperties(sink: PropertySink, event: string, user: FakeUser): void {
    const rng = this.rng;
    const awkward = this.options.awkwardText;
    switch (event) {
      case 'Page View':
        sink.str(K.path, rng.pick(PAGE_PATHS));
        sink.str(K.title, awkward && rng.chance(0.2) ? rng.pick(AWKWARD_TEXT) : 'Shop');
        sink.str(K.pageCategory, rng.pick(PAGE_CATEGORIES));
        break;
      case 'Search':
        sink.str(K.query, awkward && rng.chance(0.35) ? rng.pick(AWKWARD_TEXT) : rng.pick(SEARCH_TERMS));
        sink.num(K.resultsCount, rng.int(200));
        sink.json(K.filters, rng.chance(0.5) ? FILTERS_SOME : FILTERS_NONE);
        break;
      case 'Log In':
        sink.str(K.method, rng.pick(LOGIN_METHODS));
        this.accountId(sink, user);
        break;
      case 'Sign Up': {
        sink.str(K.plan, rng.pick(PLANS));
        if (rng.chance(0.6)) {
          if (awkward) sink.json(K.referralCode, null);
        } else {
          sink.plain(K.referralCode, `REF-${hex(rng.uint32(), 6)}`);
        }
        this.accountId(sink, user);
        break;
      }
      case 'Add To Cart': {
        const name = rng.pick(PRODUCTS);
        const price = rng.range(100, 20_000) / 100;
        if (awkward) {
          const id = `sku-${rng.int(1000)}`;
          const dims = { w: rng.range(1, 90), h: rng.range(1, 90) };
          sink.json(K.product, { id, name, details: { price, dims } });
        } else {
          sink.str(K.productName, name);
          sink.num(K.price, price);
        }
        sink.num(K.cartSize, rng.range(1, 12));
        break;
      }
      case 'Purchase': {
        sink.num(K.amount, rng.range(100, 50_000) / 100);
        sink.str(K.currency, rng.pick(CURRENCIES));
        const itemCount = rng.range(1, 3);
        if (awkward) {
          const items: FakeJsonValue[] = [];
          for (let i = 0; i < itemCount; i++) {
            const sku = `sku-${rng.int(1000)}`;
            const qty = rng.range(1, 4);
            items.push({ sku, qty, price: rng.range(100, 9_999) / 100 });
          }
          sink.json(K.items, items);
          sink.json(K.coupon, rng.chance(0.8) ? null : 'SUMMER');
        } else {
          sink.num(K.itemCount, itemCount);
        }
        this.accountId(sink, user);
        break;
      }
      case 'Video Played':
        sink.num(K.duration, rng.range(10, 36_000) / 10);
        sink.bool(K.autoplay, rng.chance(0.4));
        sink.json(K.tags, rng.chance(0.5) ? TAGS_SHORT : TAGS_LONG);
        break;
      case 'Café Order':
        sink.str(K.size, rng.pick(CUP_SIZES));
        sink.bool(K.extraShot, rng.chance(0.3));
        sink.str(K.note, awkward && rng.chance(0.4) ? rng.pick(AWKWARD_TEXT) : 'no sugar');
        break;
      default:
        sink.num(K.value, rng.int(100));
        break;
    }
  }
}
