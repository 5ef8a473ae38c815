import { runProcess } from '@presence/runtime';
import { web } from './index.js';

await runProcess({ processName: 'web', mode: 'clustered', services: [web] });
