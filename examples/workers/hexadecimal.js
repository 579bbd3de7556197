// The original Swarmage's demo, second step: the number in hexadecimal; this is the chain's final result.
export default class Hexadecimal {
  constructor(config) {
    this.upper = Boolean(config?.upper);
  }

  work(task) {
    const hex = BigInt(task.data).toString(16);
    return this.upper ? hex.toUpperCase() : hex;
  }
}
