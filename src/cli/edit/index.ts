// Pure configuration edits behind the `tandem` verbs: each takes a `<configuration>` element and
// returns a changed copy (checked by the CIB parser) plus notes for the user, or throws a CliError.
export * from './tree.ts';
export * from './resources.ts';
export * from './constraints.ts';
export * from './cluster.ts';
