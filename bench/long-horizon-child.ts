/**
 * One family's long-horizon linearity figure (bench/systems.ts longHorizonFigure) in a process of
 * its own, for the bench:
 *   node --import tsx bench/long-horizon-child.ts <family> <L>
 * (or `node dist/bench/long-horizon-child.js ...`, compiled). It prints one JSON line. A fresh
 * process a family, so that the figure is the code's and not what the bench ran before it.
 */
import { linearityCases, longHorizonFigure } from './systems.ts';

function child(argv: string[]): number {
  const [family, lengthText] = argv;
  const c = linearityCases(false).find((x) => x.name === family);
  const length = Number(lengthText);
  if (c === undefined || !(length > 0)) {
    process.stderr.write(`usage: long-horizon-child.ts <family> <L>: family one of ${linearityCases(false).map((x) => x.name).join(', ')}, L a positive length\n`);
    return 2;
  }
  process.stdout.write(`${JSON.stringify(longHorizonFigure({ ...c, long: length }))}\n`);
  return 0;
}

// Run as a program (not when a test imports this module).
if (/long-horizon-child\.(ts|js)$/.test(process.argv[1] ?? '')) process.exitCode = child(process.argv.slice(2));
