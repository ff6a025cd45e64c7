{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | Encode/decode round trips of every record, and total enumerations.
module TypesSpec (spec) where

import qualified Data.ByteString    as BS
import           Data.Int           (Int32)
import           Data.Proxy         (Proxy (..))
import           Data.Typeable      (Typeable, typeRep)
import           Generators         (knownReasons, knownTaskStates)
import           System.Mesos.Internal.Wire (optBytes, optEnum, parseFields, repBytes, repSub)
import           System.Mesos.Types
import           Test.Hspec
import           Test.Hspec.QuickCheck (prop)
import           Test.QuickCheck

roundTrip :: forall a. (Message a, Arbitrary a, Show a, Eq a, Typeable a) => Proxy a -> Spec
roundTrip proxy =
  prop ("decodeMessage . encodeMessage == Right for " ++ show (typeRep proxy)) $ \(x :: a) ->
    decodeMessage (encodeMessage x) === Right x

spec :: Spec
spec = do
  describe "round trips (QuickCheck)" $ do
    roundTrip (Proxy :: Proxy FrameworkID)
    roundTrip (Proxy :: Proxy OfferID)
    roundTrip (Proxy :: Proxy SlaveID)
    roundTrip (Proxy :: Proxy TaskID)
    roundTrip (Proxy :: Proxy ExecutorID)
    roundTrip (Proxy :: Proxy ContainerID)
    roundTrip (Proxy :: Proxy FrameworkInfo)
    roundTrip (Proxy :: Proxy MasterInfo)
    roundTrip (Proxy :: Proxy SlaveInfo)
    roundTrip (Proxy :: Proxy Credential)
    roundTrip (Proxy :: Proxy Filters)
    roundTrip (Proxy :: Proxy Request)
    roundTrip (Proxy :: Proxy Resource)
    roundTrip (Proxy :: Proxy Offer)
    roundTrip (Proxy :: Proxy CommandURI)
    roundTrip (Proxy :: Proxy CommandInfo)
    roundTrip (Proxy :: Proxy ExecutorInfo)
    roundTrip (Proxy :: Proxy ContainerInfo)
    roundTrip (Proxy :: Proxy Volume)
    roundTrip (Proxy :: Proxy HealthCheck)
    roundTrip (Proxy :: Proxy Port)
    roundTrip (Proxy :: Proxy DiscoveryInfo)
    roundTrip (Proxy :: Proxy TrafficControlStatistics)
    roundTrip (Proxy :: Proxy PerformanceStatistics)
    roundTrip (Proxy :: Proxy ResourceStatistics)
    roundTrip (Proxy :: Proxy ResourceUsageExecutor)
    roundTrip (Proxy :: Proxy ResourceUsage)
    roundTrip (Proxy :: Proxy TaskInfo)
    roundTrip (Proxy :: Proxy TaskStatus)
    roundTrip (Proxy :: Proxy OfferOperation)

  describe "enumerations" $ do
    prop "TaskState: toEnum . fromEnum == id" $ \(s :: TaskState) -> toEnum (fromEnum s) === s
    prop "TaskStatusReason: toEnum . fromEnum == id" $ \(r :: TaskStatusReason) -> toEnum (fromEnum r) === r
    prop "TaskStatusSource: toEnum . fromEnum == id" $ \(r :: TaskStatusSource) -> toEnum (fromEnum r) === r
    prop "Status: toEnum . fromEnum == id" $ \(s :: Status) -> toEnum (fromEnum s) === s
    prop "toEnum is total on every int32 (no error call)" $ \(n :: Int) ->
      let shown = show (toEnum n :: TaskState) ++ show (toEnum n :: TaskStatusReason)
                  ++ show (toEnum n :: TaskStatusSource) ++ show (toEnum n :: Status)
      in length shown > 0
    it "TaskState numbers match mesos.proto" $
      map fromEnum knownTaskStates `shouldBe` [6, 0, 1, 8, 2, 3, 4, 7, 5, 9, 10, 11, 12, 13]
    it "every reason 0..34 has a constructor" $
      [r | r@(UnknownReason _) <- knownReasons] `shouldBe` []
    it "a state after TASK_LOST decodes (hs-mesos crashed here)" $
      (toEnum 12 :: TaskState) `shouldBe` GoneByOperator
    it "an unknown state decodes to UnknownTaskState" $
      (toEnum 99 :: TaskState) `shouldBe` UnknownTaskState 99
    it "isTerminal" $ do
      filter isTerminal knownTaskStates `shouldBe` [Finished, Failed, Killed, Error, Lost, Dropped, Gone, GoneByOperator]
      isTerminal (UnknownTaskState 99) `shouldBe` False

  describe "enumerations inside records" $ do
    it "numbers nobody knows decode to Unknown constructors that keep them" $ do
      decodeMessage (raw [(1, BytesValue "/c"), (3, enumNumber 9)])
        `shouldBe` Right (Volume "/c" Nothing (UnknownMode 9))
      decodeMessage (raw [(1, enumNumber 77)]) `shouldBe` Right (ContainerInfo (Unknown 77) [])
      decodeMessage (raw [(1, enumNumber 5)])
        `shouldBe` Right (DiscoveryInfo (UnknownVisibility 5) Nothing Nothing Nothing Nothing [] [])
      decodeMessage (raw [(8, enumNumber 42)])
        `shouldBe` Right (HealthCheck (UnknownCheck 42) Nothing Nothing Nothing Nothing Nothing)
    prop "any int32 in an enumeration field decodes (no Left, no error call)" $ \(n :: Int32) ->
      -- Showing the whole record forces every field: an error call would throw.
      let ok :: (Message a, Show a) => Proxy a -> [(Int, WireValue)] -> Bool
          ok (_ :: Proxy a) fields =
            either (const False) (not . null . show) (decodeMessage (raw fields) :: Either String a)
      in conjoin
           [ ok (Proxy :: Proxy Volume) [(1, BytesValue "/c"), (3, enumNumber n)]
           , ok (Proxy :: Proxy DiscoveryInfo) [(1, enumNumber n)]
           -- DOCKER without docker, or a known check without its payload, is malformed.
           , n `elem` [1] || ok (Proxy :: Proxy ContainerInfo) [(1, enumNumber n)]
           , n `elem` [1, 2, 3] || ok (Proxy :: Proxy HealthCheck) [(8, enumNumber n)]
           , ok (Proxy :: Proxy TaskStatus) [(1, BytesValue (raw [(1, BytesValue "t")])), (2, enumNumber n), (9, enumNumber n), (10, enumNumber n)] ]

  describe "resource statistics" $
    it "use mesos.proto's field numbers (hand-checked bytes, both ways)" $ do
      let bytes = BS.pack ([0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f] ++ [0x21, 0, 0, 0, 0, 0, 0, 0, 0x40]
                           ++ [0x28, 0x07] ++ [0xf0, 0x01, 0x03] ++ [0x9a, 0x02, 0x03, 0x0a, 0x01, 0x71])
          decoded = decodeMessage bytes
      fmap (\r -> ( resourceStatisticsTimestamp r, resourceStatisticsCpusLimit r, resourceStatisticsMemoryRssBytes r
                   , resourceStatisticsProcesses r, map trafficControlStatisticsIDId' (resourceStatisticsNetTrafficControlStats r)))
           decoded
        `shouldBe` Right (1, 2, Just 7, Just 3, ["q"])
      fmap encodeMessage (decoded :: Either String ResourceStatistics) `shouldBe` Right bytes

  describe "raw protobuf (fields beyond the records)" $ do
    prop "RawMessage keeps every field of a record's encoding" $ \(t :: TaskInfo) ->
      fmap encodeMessage (decodeMessage (encodeMessage t) :: Either String RawMessage) === Right (encodeMessage t)
    prop "withRawFields adds fields the record skips on decoding" $ \(t :: TaskInfo) ->
      let killPolicy = raw [(1, BytesValue (raw [(1, VarintValue 3000000000)]))]
          bytes = withRawFields t [(12, BytesValue killPolicy)]
      in conjoin
           [ decodeMessage bytes === Right t
           , fmap (lookup 12 . rawMessageFields) (decodeMessage bytes) === Right (Just (BytesValue killPolicy))
           , BS.length bytes === BS.length (encodeMessage t) + 2 + BS.length killPolicy ]

  describe "FrameworkInfoExtras" $ do
    prop "the extras ride along without disturbing the record" $ \(info :: FrameworkInfo) ->
      let extras = FrameworkInfoExtras ["a", "b"] [PartitionAware, UnknownCapability 42] (Just "http://ui") [("k", Nothing)]
          bytes = encodeFrameworkInfoWith info extras
          fields = parseFields bytes
      in conjoin
           [ decodeMessage bytes === Right info
           , (fields >>= repBytes 12) === Right ["a", "b"]
           , (fields >>= optBytes 9) === Right (Just "http://ui")
           , (fields >>= repSub 10 >>= traverse (optEnum 1)) === Right [Just 5, Just 42]
           , fmap length (fields >>= repSub 11) === Right 1 ]
    it "no extras add nothing" $ property $ \(info :: FrameworkInfo) ->
      encodeFrameworkInfoWith info noFrameworkInfoExtras === encodeMessage info

  describe "hs-mesos compatibility" $ do
    it "smart constructors fill the optional fields with Nothing" $ do
      frameworkInfo "u" "n" `shouldBe` FrameworkInfo "u" "n" Nothing Nothing Nothing Nothing Nothing Nothing
      taskInfoData_ (taskInfo "t" "id" "s" [] (TaskCommand (commandInfo (ShellCommand "true")))) `shouldBe` Nothing
      filters `shouldBe` Filters Nothing
    it "a Text resource value is sent as a one-item set" $
      decodeMessage (encodeMessage (resource "r" (Text "x")))
        `shouldBe` Right (resource "r" (Set ["x"]))
  where
    raw :: [(Int, WireValue)] -> BS.ByteString
    raw = encodeMessage . RawMessage
    -- An enum is an int32 on the wire: negative numbers take ten bytes.
    enumNumber :: Int32 -> WireValue
    enumNumber = VarintValue . fromIntegral
