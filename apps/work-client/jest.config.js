/** @type {import('jest').Config} */
module.exports = {
  displayName: 'work-client',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
