// The minute-long tests start first; see StartsFirstAttribute.
[assembly: TestCollectionOrderer("RollbackFunctions.Testing.StartsFirstOrderer", "RollbackFunctions.Testing")]
