/**
 * Every target the suite knows, in report order (Tessera first, then its
 * peers). Adding a system means adding a Target here.
 */
import { etcd } from "./etcd.js";
import { redisDurable, redisMemory } from "./redis.js";
import { redisCluster } from "./redis-cluster.js";
import type { Target } from "./target.js";
import { tessera } from "./tessera.js";
import { tesseraCluster } from "./tessera-cluster.js";
import {
  tesseraManyRanges,
  tesseraManyRangesCapped,
  tesseraOneRange,
  tesseraOneRangeCapped,
  tesseraRangePerNode,
} from "./tessera-sharded.js";

export const TARGETS: readonly Target[] = [
  tessera,
  tesseraCluster,
  redisDurable,
  redisMemory,
  redisCluster,
  etcd,
  // The scale group's clusters (Tessera against itself).
  tesseraOneRange,
  tesseraRangePerNode,
  tesseraManyRanges,
  tesseraOneRangeCapped,
  tesseraManyRangesCapped,
];

export function targetNamed(name: string): Target | undefined {
  return TARGETS.find((target) => target.name === name);
}

export type { FailoverHooks, Protocol, ShardingHooks, System, Target } from "./target.js";
export { INSTALL_HINT } from "./target.js";
