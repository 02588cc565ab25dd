// Public surface of the capture agent; each module re-exported here as it lands.
export {};
