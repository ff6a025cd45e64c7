{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | Encode/decode round trips of every record, and total enumerations.
module TypesSpec (spec) where

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
