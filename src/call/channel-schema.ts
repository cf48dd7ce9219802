import { Type } from '@sinclair/typebox';
import { CHANNELS, type Channel } from './types.js';

/** The `channel=` query value of every filtered API list: the bounded enum, anything else a 400 ("must be equal to one of the allowed values", once). */
export const ChannelParam = Type.Unsafe<Channel>({ type: 'string', enum: [...CHANNELS] });
