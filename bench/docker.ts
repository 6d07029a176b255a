// (l) The sizes of the two images `npm run test:docker` builds (scripts/docker-build.sh), when they are
// there: building them takes minutes and a Docker engine, which is the image tests' job, not the bench's.
import { imageFacts, SANDBOX_IMAGE, SERVICE_IMAGE } from '../test/docker/docker.js';
import { mb } from './stats.js';

export async function reportImageSizes(report: (label: string, value: string) => void): Promise<void> {
  for (const [label, tag] of [
    ['service image', SERVICE_IMAGE],
    ['sandbox image (aci)', SANDBOX_IMAGE],
  ] as const) {
    const facts = await imageFacts(tag);
    report(
      `(l) ${label} ${tag}: size`,
      facts ? `${mb(facts.bytes)} (on ${facts.runtimeBase})` : 'not built (run npm run test:docker)',
    );
  }
}
