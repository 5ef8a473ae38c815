import { runProcess } from '@presence/runtime';
import { subscription } from './index.js';

await runProcess({ processName: 'subscription', mode: 'clustered', services: [subscription] });
