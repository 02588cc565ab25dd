/** Types of gen-config-docs.mjs, for the test that keeps docs/configuration.md in step. */
export declare const CONFIGURATION_DOC: string;
/** The text docs/configuration.md must have, from the option declarations. */
export declare function renderConfigurationDoc(): string;
