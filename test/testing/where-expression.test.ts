import { describe, expect, it } from 'vitest';
import { compileWhere, WhereDateTime, WhereExpressionError } from '../../src/testing/where-expression.js';

const record: Record<string, unknown> = {
  name: 'Café Order',
  amount: 42.5,
  count: 3,
  flag: true,
  none: null,
  tags: ['a', 'b'],
  big: 3928097563762691601n,
  seen: '2024-06-02T10:00:00',
  $time: new WhereDateTime(Date.parse('2024-06-01T12:00:00Z')),
};
const matches = (expression: string) => compileWhere(expression)((name) => record[name]);

describe('where expressions', () => {
  it.each([
    ['properties["name"] == "Café Order"', true],
    ["properties['name'] == 'Café Order'", true],
    ['properties["name"] != "Café Order"', false],
    ['properties["amount"] > 40 and properties["amount"] <= 42.5', true],
    ['properties["amount"] == "42.5"', false],
    ['properties["amount"] > "4"', false],
    ['properties["missing"] == "x"', false],
    ['properties["missing"] != "x"', true],
    [
      'defined(properties["flag"]) and not defined(properties["none"]) and not defined(properties["missing"])',
      true,
    ],
    ['"Caf" in properties["name"]', true],
    ['"c" in properties["tags"] or properties["count"] in [1, 2, 3]', true],
    ['properties["big"] == 3928097563762691601', true],
    ['properties["big"] == 3928097563762691600', false],
    ['properties["big"] > 9007199254740993', true],
    ['properties["count"] > -1 and -properties["count"] == -3', true],
    ['properties["seen"] >= "2024-06-01T00:00:00"', true],
    [
      'properties["$time"] >= datetime(1717243200) and properties["$time"] < datetime("2024-06-01T12:00:01")',
      true,
    ],
    ['properties["$time"] > datetime("2024-06-01")', true],
    ['properties["seen"] < datetime("2024-06-02T11:00:00")', true],
    ['(properties["flag"] or properties["none"]) and not (properties["count"] == 4)', true],
    ['properties["none"] or properties["missing"]', false],
    ['', true],
  ])('%s → %s', (expression, expected) => {
    expect(matches(expression)).toBe(expected);
  });

  it.each([
    'properties["amount"] + 1 > 2',
    'properties["amount"] * 2 > 2',
    'properties["amount"] - 1 > 2',
    'floor(properties["amount"]) == 42',
    'string(properties["count"]) == "3"',
    'number(properties["seen"]) > 1',
    'properties.amount > 1',
    'properties["name"] = "x"',
    'properties["name"] == "unterminated',
    'datetime(properties["x"]) > 1',
    '(properties["flag"]',
    'user["x"] == 1',
  ])('rejects %s, naming the expression', (expression) => {
    expect(() => compileWhere(expression)).toThrow(WhereExpressionError);
    expect(() => compileWhere(expression)).toThrow(expression);
  });
});
