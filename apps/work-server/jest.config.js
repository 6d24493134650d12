/** @type {import('jest').Config} */
module.exports = {
  displayName: 'work-server',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
