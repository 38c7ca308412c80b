import type { Agent } from "agents";

/** Where an agent keeps the time of its last activity. */
export interface ActivityStore {
  read(): number | undefined;
  write(ms: number): void;
}

/**
 * An agent that deletes itself (storage, schedules, alarms) after `idleSeconds` without activity.
 * Activity is written at most once a second: all the precision the check needs, without a write on
 * every call of a busy agent. The agent exposes `expireIfIdle`, which calls `check`, as the schedule's callback.
 */
export class IdleExpiry {
  #checkScheduled = false;
  #recordedMs = 0;

  constructor(
    private readonly agent: Agent<Env>,
    private readonly idleSeconds: number,
    private readonly activity: ActivityStore,
  ) {}

  touch(now = Date.now()): void {
    if (now - this.#recordedMs >= 1000) {
      this.activity.write(now);
      this.#recordedMs = now;
    }
    void this.schedule();
  }

  /**
   * Makes sure a check is pending, without counting as activity: an agent that starts calls this, so
   * none is left without one. `inSeconds` 0 is for an agent that has nothing to keep: it goes at once.
   */
  async schedule(inSeconds = this.idleSeconds): Promise<void> {
    if (this.#checkScheduled) return;
    this.#checkScheduled = true;
    await this.agent.schedule(inSeconds, "expireIfIdle" as never, undefined, { idempotent: true });
  }

  /** Removes the agent once it has been idle long enough, else checks again later. */
  async check(): Promise<void> {
    this.#checkScheduled = false;
    const idleMs = Date.now() - (this.activity.read() ?? 0);
    const limitMs = this.idleSeconds * 1000;
    if (idleMs >= limitMs) {
      await this.agent.destroy();
      return;
    }
    // One pending check at a time, whether this ran from its schedule or was called directly.
    for (const pending of this.agent.getSchedules()) if (pending.callback === "expireIfIdle") await this.agent.cancelSchedule(pending.id);
    this.#checkScheduled = true;
    await this.agent.schedule(Math.ceil((limitMs - idleMs) / 1000), "expireIfIdle" as never);
  }
}
