export { Controller, type ControllerDeps, type ControllerStatus } from './controller.ts';
export { DcTerm, type ControllerCib, type DcStatus, type DcTermDeps } from './dc-term.ts';
export * from './types.ts';
export * from './log.ts';
export { failCountNames } from './failcounts.ts';
