// Public surface of the dissector; each module re-exported here as it lands.
export {};
