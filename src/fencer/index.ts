export * from './agent-runner.ts';
export * from './devices.ts';
export * from './topology.ts';
export * from './history.ts';
export * from './fencer.ts';
export * from './watchdog.ts';
