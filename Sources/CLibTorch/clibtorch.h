// Empty on purpose: CLibTorch (Package.swift) carries pkg-config's arena-libtorch flags (libtorch's
// include folders, its libraries by full path) to the shim CTorch, which includes libtorch's
// headers itself (Sources/CTorch/ctorch.cpp).
