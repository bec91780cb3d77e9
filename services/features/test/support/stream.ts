// The stream generator and the counter reference moved into the libraries so `npm run chaos` shares them.
export { generateStream, parsed, type StreamOptions } from '@storeloop/testing';
export { counterDifferences, groundTruth, type ExpectedItem, type ExpectedUser } from '@storeloop/feature-store';
