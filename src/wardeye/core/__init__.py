"""Pure building blocks: ids, time, typed events, the bus Protocol, errors. No I/O frameworks."""
