import { runProcess } from '@presence/runtime';
import { sipEdge } from './index.js';

await runProcess({ processName: 'sip-edge', mode: 'clustered', services: [sipEdge] });
