import { Logger } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';

/**
 * A job every instance fires every `everyMs`, as an interval in @nestjs/schedule's registry (so
 * it stops with the app); whether a firing does anything is the subclass's `run` (leader-only
 * jobs decorate it with @LeaderOnly). A firing is skipped while the previous run still goes,
 * and a failed run is logged, not thrown.
 */
export abstract class IntervalJob implements OnApplicationBootstrap {
  protected readonly logger: Logger;
  private running = false;

  constructor(
    /** `inventory-restock`: the interval's name in the registry. */
    private readonly jobName: string,
    private readonly everyMs: number,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.logger = new Logger(new.target.name); // RestockJob, ReconcileJob: as their logs always said
  }

  abstract run(): Promise<unknown>;

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.tick(), this.everyMs);
    this.scheduler.addInterval(this.jobName, timer);
  }

  /** One firing: skipped if the previous run is still going. */
  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.run();
    } catch (error) {
      this.logger.error(`${this.jobName} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.running = false;
    }
  }
}
