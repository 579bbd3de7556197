// The second step of greet's chain: the greeting, in capitals.
import type { WorkerModule } from 'swarmage';

const shout: WorkerModule<string> = {
  work: (task) => task.data.toUpperCase(),
};

export default shout;
