// Registers what the CLI and every sweep worker need before loading TypeScript: tsx's loader,
// then detsim's own hooks (cli/module-hooks.mjs: `import 'detsim'` from a scenario file kept
// anywhere, and such a file loaded as an ES module). Hooks registered later run first.
import { register as registerTsx } from 'tsx/esm/api';
import { register } from 'node:module';
registerTsx();
register('../cli/module-hooks.mjs', import.meta.url);
