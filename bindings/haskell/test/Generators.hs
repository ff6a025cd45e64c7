{-# OPTIONS_GHC -Wno-orphans #-}
-- | QuickCheck generators for the records of "System.Mesos.Types". They
-- produce only values that survive an encode/decode round trip unchanged
-- (e.g. no 'Text' resource values, which are sent as one-item sets, and
-- unknown enum numbers only where no constructor has that number).
module Generators
  ( genValue
  , genAttributeValue
  , knownTaskStates
  , knownReasons
  ) where

import qualified Data.ByteString   as BS
import           Data.ByteString   (ByteString)
import           Data.Int          (Int32)
import           System.Mesos.Types
import           Test.QuickCheck

instance Arbitrary ByteString where
  arbitrary = BS.pack <$> listOf arbitrary
  shrink = map BS.pack . shrink . BS.unpack

smallList :: Gen a -> Gen [a]
smallList g = sized $ \n -> choose (0, min 3 n) >>= flip vectorOf g

-- An int32 that is not one of the given codes.
unknownCode :: [Int] -> Gen Int
unknownCode known = (fromIntegral <$> (arbitrary :: Gen Int32)) `suchThat` (`notElem` known)

instance Arbitrary FrameworkID where arbitrary = FrameworkID <$> arbitrary
instance Arbitrary OfferID where arbitrary = OfferID <$> arbitrary
instance Arbitrary SlaveID where arbitrary = SlaveID <$> arbitrary
instance Arbitrary TaskID where arbitrary = TaskID <$> arbitrary
instance Arbitrary ExecutorID where arbitrary = ExecutorID <$> arbitrary
instance Arbitrary ContainerID where arbitrary = ContainerID <$> arbitrary

knownTaskStates :: [TaskState]
knownTaskStates =
  [ Staging, Starting, TaskRunning, Killing, Finished, Failed, Killed, Error, Lost, Dropped
  , Unreachable, Gone, GoneByOperator, TaskUnknown ]

instance Arbitrary TaskState where
  arbitrary = frequency
    [ (5, elements knownTaskStates)
    , (1, UnknownTaskState <$> unknownCode (map fromEnum knownTaskStates)) ]

instance Arbitrary TaskStatusSource where
  arbitrary = frequency
    [ (5, elements [SourceMaster, SourceSlave, SourceExecutor])
    , (1, UnknownSource <$> unknownCode [0, 1, 2]) ]

knownReasons :: [TaskStatusReason]
knownReasons = map toEnum ([0 .. 34] :: [Int])

instance Arbitrary TaskStatusReason where
  arbitrary = frequency
    [ (5, elements knownReasons)
    , (1, UnknownReason <$> unknownCode [0 .. 34]) ]

instance Arbitrary Status where
  arbitrary = oneof
    [ elements [NotStarted, Running, Aborted, Stopped]
    , UnknownStatus <$> unknownCode [1 .. 4] ]

instance Arbitrary Mode where
  arbitrary = oneof [elements [ReadWrite, ReadOnly], UnknownMode <$> unknownCode [1, 2]]
instance Arbitrary Visibility where
  arbitrary = oneof
    [ elements [VisibilityFramework, VisibilityCluster, VisibilityExternal]
    , UnknownVisibility <$> unknownCode [0 .. 2] ]

finiteDouble :: Gen Double
finiteDouble = arbitrary `suchThat` (\d -> not (isNaN d || isInfinite d))

-- | A resource value (no 'Text': resources send it as a set).
genValue :: Gen Value
genValue = oneof
  [ Scalar <$> finiteDouble
  , Ranges <$> smallList arbitrary
  , Set <$> smallList arbitrary
  , UnknownValue <$> choose (3, 1000) ]

-- | An attribute value.
genAttributeValue :: Gen Value
genAttributeValue = oneof
  [ Scalar <$> finiteDouble
  , Ranges <$> smallList arbitrary
  , Set <$> smallList arbitrary
  , Text <$> arbitrary
  , UnknownValue <$> choose (4, 1000) ]

instance Arbitrary Volume where
  arbitrary = Volume <$> arbitrary <*> arbitrary <*> arbitrary

instance Arbitrary Resource where
  arbitrary = Resource <$> arbitrary <*> genValue <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary

instance Arbitrary FrameworkInfo where
  arbitrary = FrameworkInfo <$> arbitrary <*> arbitrary <*> arbitrary <*> liftArbitrary finiteDouble
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary

instance Arbitrary MasterInfo where
  arbitrary = MasterInfo <$> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary

instance Arbitrary SlaveInfo where
  arbitrary = SlaveInfo <$> arbitrary <*> arbitrary <*> smallList arbitrary
    <*> smallList ((,) <$> arbitrary <*> genAttributeValue) <*> arbitrary <*> arbitrary

instance Arbitrary Credential where
  arbitrary = Credential <$> arbitrary <*> arbitrary

instance Arbitrary Filters where
  arbitrary = Filters <$> liftArbitrary finiteDouble

instance Arbitrary Request where
  arbitrary = Request <$> arbitrary <*> smallList arbitrary

instance Arbitrary Offer where
  arbitrary = Offer <$> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> smallList arbitrary
    <*> smallList ((,) <$> arbitrary <*> genAttributeValue) <*> smallList arbitrary

instance Arbitrary CommandValue where
  arbitrary = oneof [ShellCommand <$> arbitrary, RawCommand <$> arbitrary <*> smallList arbitrary]

instance Arbitrary CommandURI where
  arbitrary = CommandURI <$> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary

instance Arbitrary CommandInfo where
  arbitrary = CommandInfo <$> smallList arbitrary <*> liftArbitrary (smallList arbitrary) <*> arbitrary
    <*> arbitrary

instance Arbitrary ContainerType where
  arbitrary = oneof [Docker <$> arbitrary, pure MesosContainer, Unknown <$> unknownCode [1, 2]]

instance Arbitrary ContainerInfo where
  arbitrary = ContainerInfo <$> arbitrary <*> smallList arbitrary

instance Arbitrary HealthCheckStrategy where
  arbitrary = oneof
    [ HTTPCheck <$> arbitrary <*> arbitrary <*> smallList arbitrary
    , CommandCheck <$> arbitrary
    , TCPCheck <$> arbitrary
    , UnknownCheck <$> unknownCode [1 .. 3] ]

instance Arbitrary HealthCheck where
  arbitrary = HealthCheck <$> arbitrary <*> liftArbitrary finiteDouble <*> liftArbitrary finiteDouble
    <*> liftArbitrary finiteDouble <*> arbitrary <*> liftArbitrary finiteDouble

instance Arbitrary Port where
  arbitrary = Port <$> arbitrary <*> arbitrary <*> arbitrary

instance Arbitrary DiscoveryInfo where
  arbitrary = DiscoveryInfo <$> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> smallList arbitrary <*> smallList arbitrary

instance Arbitrary ExecutorInfo where
  arbitrary = ExecutorInfo <$> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> smallList arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary

instance Arbitrary TaskExecutionInfo where
  arbitrary = oneof [TaskCommand <$> arbitrary, TaskExecutor <$> arbitrary]

instance Arbitrary TaskInfo where
  arbitrary = TaskInfo <$> arbitrary <*> arbitrary <*> arbitrary <*> smallList arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> smallList arbitrary <*> arbitrary

instance Arbitrary TaskStatus where
  arbitrary = TaskStatus <$> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> liftArbitrary finiteDouble <*> arbitrary <*> arbitrary

instance Arbitrary OfferOperation where
  arbitrary = oneof
    [ OfferLaunch <$> smallList arbitrary
    , OfferReserve <$> smallList arbitrary
    , OfferUnreserve <$> smallList arbitrary
    , OfferCreate <$> smallList arbitrary
    , OfferDestroy <$> smallList arbitrary ]

instance Arbitrary TrafficControlStatistics where
  arbitrary = TrafficControlStatistics
    <$> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary

instance Arbitrary PerformanceStatistics where
  arbitrary = PerformanceStatistics
    <$> finiteDouble <*> finiteDouble <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> liftArbitrary finiteDouble <*> liftArbitrary finiteDouble <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary

instance Arbitrary ResourceStatistics where
  arbitrary = ResourceStatistics
    <$> finiteDouble <*> arbitrary <*> arbitrary <*> liftArbitrary finiteDouble
    <*> liftArbitrary finiteDouble <*> finiteDouble <*> arbitrary <*> arbitrary
    <*> liftArbitrary finiteDouble <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary <*> arbitrary
    <*> arbitrary <*> arbitrary <*> liftArbitrary finiteDouble <*> liftArbitrary finiteDouble
    <*> liftArbitrary finiteDouble <*> liftArbitrary finiteDouble <*> liftArbitrary finiteDouble
    <*> liftArbitrary finiteDouble <*> smallList arbitrary

instance Arbitrary ResourceUsageExecutor where
  arbitrary = ResourceUsageExecutor <$> arbitrary <*> smallList arbitrary <*> arbitrary

instance Arbitrary ResourceUsage where
  arbitrary = ResourceUsage <$> smallList arbitrary
