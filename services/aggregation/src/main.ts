import { runProcess } from '@presence/runtime';
import { aggregation } from './index.js';

await runProcess({ processName: 'aggregation', mode: 'clustered', services: [aggregation] });
