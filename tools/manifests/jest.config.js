/** @type {import('jest').Config} */
module.exports = {
  displayName: 'k8s-manifests',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
