import { z } from 'zod';
import { identifier } from '../primitives';

export const userErasureRequestedData = z.object({
  userId: identifier(),
  /** Operator or system that filed the request (CRM ticket owner, privacy portal). */
  requestedBy: identifier(),
  reason: z.string().trim().min(1, 'must not be empty').max(1000),
});
