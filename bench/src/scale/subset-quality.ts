// `npm run bench:subsets`: the spread and churn of three deterministic subsetting algorithms,
// computed (no network): NestMesh's ring (libs/grpc subsetOf), the Google SRE book's
// shuffled rounds, and rendezvous (highest random weight) hashing.
//   spread: clients per instance, busiest / mean (1.0 is perfectly even)
//   churn:  subset members a client replaces when one instance is added or removed (mean, max)
// Env: SUBSET_CLIENTS (50), SUBSET_INSTANCES (300), SUBSET_SIZE (20), SUBSET_CHANGES (40).
import { createHash } from 'node:crypto';
import { clientOffset, subsetOf } from '@nestmesh/grpc';

import { seeded } from '../seeded.js';

const clients = Number(process.env.SUBSET_CLIENTS ?? 50);
const instanceCount = Number(process.env.SUBSET_INSTANCES ?? 300);
const size = Number(process.env.SUBSET_SIZE ?? 20);
const changes = Number(process.env.SUBSET_CHANGES ?? 40);

type Algorithm = (ids: readonly string[], client: number) => string[];

const ring: Algorithm = (ids, client) =>
  subsetOf(
    ids.map((id) => ({ id })),
    size,
    clientOffset(client, clients),
  ).map(({ id }) => id);

/** The SRE book's algorithm: clients in rounds of N/K, each round one seeded shuffle sliced in K. */
const shuffledRounds: Algorithm = (ids, client) => {
  const subsetCount = Math.max(1, Math.floor(ids.length / size));
  const round = Math.floor(client / subsetCount);
  const shuffled = [...ids].sort();
  const random = seeded(round);
  for (let index = shuffled.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [shuffled[index], shuffled[other]] = [shuffled[other], shuffled[index]];
  }
  const start = (client % subsetCount) * size;
  return shuffled.slice(start, start + size);
};

function weight(client: number, id: string): number {
  return createHash('sha256').update(`${client}/${id}`).digest().readUIntBE(0, 6);
}

/** Rendezvous hashing: the K instances of highest hash(client, instance). */
const rendezvous: Algorithm = (ids, client) =>
  ids
    .map((id) => ({ id, weight: weight(client, id) }))
    .sort((left, right) => right.weight - left.weight)
    .slice(0, size)
    .map(({ id }) => id);

function spread(algorithm: Algorithm, ids: readonly string[]): number {
  const counts = new Map(ids.map((id) => [id, 0]));
  for (let client = 0; client < clients; client++) {
    for (const id of algorithm(ids, client)) counts.set(id, counts.get(id)! + 1);
  }
  return Math.max(...counts.values()) / ((clients * Math.min(size, ids.length)) / ids.length);
}

function churn(algorithm: Algorithm, ids: readonly string[]): { mean: number; max: number } {
  const replaced: number[] = [];
  let current = [...ids];
  for (let change = 0; change < changes; change++) {
    const next =
      change % 2 === 0
        ? [...current, `inventory-added-${change}`]
        : current.filter((_, index) => index !== (change * 7_919) % current.length);
    for (let client = 0; client < clients; client++) {
      const after = new Set(algorithm(next, client));
      replaced.push(algorithm(current, client).filter((id) => !after.has(id)).length);
    }
    current = next;
  }
  return {
    mean: replaced.reduce((sum, each) => sum + each, 0) / replaced.length,
    max: Math.max(...replaced),
  };
}

const ids = Array.from(
  { length: instanceCount },
  (_, index) => `inventory-host${index % 10}-${50_000 + index}-${index.toString(16)}`,
);
console.log(`${clients} clients, ${instanceCount} instances, subsets of ${size}; ${changes} changes`);
console.log('| algorithm | spread (busiest / mean) | churn per change: mean | max |');
console.log('|---|---|---|---|');
for (const [name, algorithm] of [
  ['ring (NestMesh)', ring],
  ['SRE shuffled rounds', shuffledRounds],
  ['rendezvous hashing', rendezvous],
] as const) {
  const { mean, max } = churn(algorithm, ids);
  console.log(`| ${name} | ${spread(algorithm, ids).toFixed(2)} | ${mean.toFixed(2)} | ${max} |`);
}
