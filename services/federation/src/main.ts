import { runProcess } from '@presence/runtime';
import { federation } from './index.js';

await runProcess({ processName: 'federation', mode: 'clustered', services: [federation] });
