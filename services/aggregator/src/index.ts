// Public surface of the aggregator; each module re-exported here as it lands.
export {};
