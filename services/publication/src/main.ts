import { runProcess } from '@presence/runtime';
import { publication } from './index.js';

await runProcess({ processName: 'publication', mode: 'clustered', services: [publication] });
