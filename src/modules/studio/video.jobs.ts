import type { JobDefinition } from '../../platform/jobs.ts';
import { VIDEO_POLL_JOB, type VideoService } from './video.service.ts';

/**
 * `studio.video.poll` looks at one video task (sent by the service itself, after a delay); `studio.video.resume` gives
 * every unfinished task a poll each time the runner starts: the process that was polling them may have died, and
 * polls sent before a runner was attached were dropped.
 */
export function videoJobs(video: VideoService): JobDefinition<object>[] {
  return [
    {
      name: VIDEO_POLL_JOB,
      async handler(data: { generationId?: unknown }) {
        // A malformed job cannot become valid by retrying: done, with nothing to do.
        if (typeof data.generationId !== 'string') return 'closed';
        return video.poll(data.generationId);
      },
    },
    { name: 'studio.video.resume', onStart: true, handler: () => video.resume() },
  ];
}
