// Value types of the environment schema, shared by core/config.ts and the settings it spreads in.
import { z } from 'zod';

export const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' }).transform((v) => v === 'true' || v === '1' || v === 'yes');

// Decimal digits only: Number() would also take " " (as 0), "0x10ab" and "1e3".
export const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'expected an integer' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `expected at least ${min}` })
        .max(max, { message: `expected at most ${max}` }),
    );
