// The second OS process of the mesh check: a node that hosts a named Counter until told to stop.
import { Node } from '@foundation/runtime';
import { mesh } from '@foundation/cluster';
import { Counter } from './actors.mjs';

const node = await Node.start({ name: 'peer', transport: mesh({ port: 0, host: '127.0.0.1', cookie: 'packed' }) });
node.spawn(Counter, 40, { name: 'counter' });
process.stdout.write(`${node.url}\n`);
process.stdin.resume();
process.stdin.on('end', () => void node.stop().then(() => process.exit(0)));
