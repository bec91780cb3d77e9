import type { ArtifactStore, SegmentProfile } from '@storeloop/ml';
import type { ModelRegistry } from '../models/model-registry';
import { parseSegmentProfiles, SEGMENTS_FILE } from '../models/serving-model';

export interface SegmentAnswer {
  /** As stored on the user: `<model version>/<segment index>`. */
  id: string;
  version: string;
  index: number;
  /** The segment's profile from that version's segments.json; null when the version is gone from the store. */
  profile: SegmentProfile | null;
}

const CACHED_VERSIONS = 8;

/**
 * Profiles of the segments the training service wrote on users. A user's
 * segment names the version that computed it, which need not be the one
 * serving, so profiles are read from that version's artifact and cached.
 */
export class SegmentProfiles {
  private readonly cache = new Map<string, Promise<SegmentProfile[] | null>>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly store: ArtifactStore,
  ) {}

  async describe(segmentId: string): Promise<SegmentAnswer> {
    const slash = segmentId.lastIndexOf('/');
    const version = slash > 0 ? segmentId.slice(0, slash) : segmentId;
    const index = slash > 0 ? Number(segmentId.slice(slash + 1)) : Number.NaN;
    const profiles = await this.profiles(version);
    return { id: segmentId, version, index, profile: profiles?.find((profile) => profile.segment === index) ?? null };
  }

  private profiles(version: string): Promise<SegmentProfile[] | null> {
    for (const model of [this.registry.champion, this.registry.challenger]) {
      if (model?.version === version) return Promise.resolve(model.segments);
    }
    let cached = this.cache.get(version);
    if (!cached) {
      cached = this.store
        .get(this.registry.modelName, version)
        .then((artifact) => parseSegmentProfiles(artifact?.files.get(SEGMENTS_FILE)))
        .catch(() => {
          this.cache.delete(version);
          return null;
        });
      this.cache.set(version, cached);
      if (this.cache.size > CACHED_VERSIONS) this.cache.delete(this.cache.keys().next().value as string);
    }
    return cached;
  }
}
