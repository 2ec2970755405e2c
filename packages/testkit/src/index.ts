/**
 * @foundation/testkit — deterministic simulation of a Foundation cluster in one process, for
 * property tests of distributed behaviour that replay from a seed.
 */
export { simulate, type SimulateOptions } from './simulate.js';
export { Cluster } from './cluster.js';
export { FAULT_KINDS, type Fault, type FaultKind } from './faults.js';
export { faultSchedule, timed, type FaultScheduleOptions } from './arbitraries.js';
export { checkAlways, checkEventually, assertSimulation, type SimulationPropertyOptions, type SimulationCase } from './properties.js';
export { Prng } from './prng.js';
export { SIM_EPOCH_MS } from './internal/engine.js';
export { SimulationStalledError, InvariantError, EventuallyError, SimulatedNodeError, SimulationPropertyError } from './errors.js';
