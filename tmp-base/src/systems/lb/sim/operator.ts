/**
 * The operator (control plane) as a node program: it holds the desired configuration (backends,
 * algorithm, which backends drain), numbers each change, pushes it to every balancer until each
 * acknowledges it, and answers a restarted balancer's fetch. The push is repeated every period, so
 * the acknowledgements double as drain-progress reports (which drains each balancer completed).
 *
 * Scenario code changes the desired state through `publish` (the operator's console). The operator
 * runs on a 'client' node: the nemesis never crashes it (a control plane is replicated elsewhere).
 */
import type { NodeContext, NodeProgram } from '../../../sim/node.ts';
import type { Nanos } from '../../../sim/time.ts';
import type { AlgorithmName, BackendSpec } from '../index.ts';
import type { ConfigAck, ConfigPush } from './messages.ts';

export interface OperatorObserver {
  /** A new desired state was made (before any balancer can see it). */
  published(c: ConfigPush): void;
  /** A balancer acknowledged `ack.version` with its completed drains. */
  acked(lb: string, ack: ConfigAck): void;
}

export interface OperatorOptions {
  balancers: string[];
  backends: BackendSpec[];
  algorithm: AlgorithmName;
  pushPeriodNs: Nanos;
  observer: OperatorObserver;
}

export interface OperatorProgram extends NodeProgram {
  /** The desired state now. */
  current(): ConfigPush;
  /** Changes the desired state (fields not given stay) and pushes it at once. */
  publish(change: { backends?: BackendSpec[]; draining?: string[]; algorithm?: AlgorithmName }): ConfigPush;
  /** The last acknowledgement of each balancer. */
  readonly acks: ReadonlyMap<string, ConfigAck>;
}

export function operatorNode(ctx: NodeContext, o: OperatorOptions): OperatorProgram {
  let config: ConfigPush = { type: 'config', version: 1, backends: o.backends, algorithm: o.algorithm, draining: [] };
  const acks = new Map<string, ConfigAck>();
  o.observer.published(config);

  const push = (): void => {
    for (const lb of o.balancers) {
      ctx.call<ConfigAck>(lb, config, o.pushPeriodNs).then((r) => {
        if (!r.ok) return;
        const prev = acks.get(lb);
        // Replies can be reordered: keep the newest version (same version: the later reply).
        if (prev === undefined || r.body.version >= prev.version) acks.set(lb, r.body);
        o.observer.acked(lb, r.body);
      });
    }
  };
  const loop = (): void => {
    push();
    ctx.setTimer(o.pushPeriodNs, loop);
  };
  ctx.setTimer(1, loop);

  return {
    acks,
    current: () => config,
    publish(change) {
      config = {
        type: 'config',
        version: config.version + 1,
        backends: change.backends ?? config.backends,
        algorithm: change.algorithm ?? config.algorithm,
        draining: [...(change.draining ?? config.draining)].sort(),
      };
      o.observer.published(config);
      push();
      return config;
    },
    onMessage(env) {
      if ((env.body as { type: string }).type === 'fetch') ctx.reply(env, config);
    },
  };
}
