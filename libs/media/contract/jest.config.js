/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/media-contract',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
};
