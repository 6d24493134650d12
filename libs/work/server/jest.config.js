/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/work-server-core',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
};
