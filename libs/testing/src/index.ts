export { freePort } from './free-port.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
