/** The declared command tree: every command documents itself with examples. */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/cli.js';
import { memoryIo } from './support/cli-harness.js';

function walk(command: Command, path: string[] = []): [string, Command][] {
  const here: [string, Command][] = [[path.join(' ') || '(root)', command]];
  return here.concat(
    command.commands.filter((c) => c.name() !== 'help').flatMap((c) => walk(c, [...path, c.name()])),
  );
}

describe('mp command tree', () => {
  const m = memoryIo({ env: {} });
  const commands = walk(buildProgram(m.io));

  it('has every command of the issue', () => {
    expect(commands.map(([name]) => name)).toEqual([
      '(root)',
      'fetch',
      'fetch events',
      'fetch profiles',
      'query',
      'query sql',
      'query segmentation',
      'query funnel',
      'query retention',
      'inspect',
      'inspect events',
      'inspect properties',
      'inspect values',
      'inspect funnels',
      'inspect cohorts',
      'inspect top-events',
      'inspect info',
      'inspect tables',
      'inspect schema',
      'inspect sample',
      'inspect summarize',
      'inspect breakdown',
      'inspect keys',
      'inspect column',
      'inspect drop',
      'inspect drop-all',
      'export',
      'import',
      'migrate',
      'backup',
      'restore',
      'auth',
      'auth list',
      'auth add',
      'auth remove',
      'auth switch',
      'auth show',
      'auth test',
      'config',
      'config show',
      'doctor',
      'demo',
      'fake-server',
    ]);
  });

  it.each(commands)('%s --help shows examples', (_name, command) => {
    const out = memoryIo({ env: {} });
    const program = buildProgram(out.io);
    const path = _name === '(root)' ? [] : _name.split(' ');
    let target: Command = program;
    for (const part of path) target = target.commands.find((c) => c.name() === part)!;
    target.outputHelp();
    expect(out.stdout()).toContain('Examples:\n  $ mp ');
    expect(command.description()).not.toBe('');
  });
});
