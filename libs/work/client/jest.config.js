/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/work-client-core',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
};
