{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | The callback layer without a master: the C function pointers a
-- 'Scheduler' hands to the library are called directly, as the library would,
-- on a driver that was never started (so the abort they do is harmless).
module CallbackSpec (spec) where

import           Control.Concurrent.STM
import           Control.Exception         (bracket, throwIO)
import qualified Data.ByteString           as BS
import           Data.ByteString           (ByteString)
import qualified Data.ByteString.Unsafe    as BU
import           Data.List                 (isInfixOf)
import           Data.Word                 (Word8)
import           Foreign.C.Types           (CSize (..))
import           Foreign.Marshal.Array     (withArray)
import           Foreign.Ptr
import           System.Mesos.Internal.FFI
import           System.Mesos.Scheduler
import           System.Mesos.Types
import           Test.Hspec

foreign import ccall safe "dynamic" callBytes :: FunPtr BytesCallback -> BytesCallback
foreign import ccall safe "dynamic" callBytes2 :: FunPtr Bytes2Callback -> Bytes2Callback
foreign import ccall safe "dynamic" callArray :: FunPtr BytesArrayCallback -> BytesArrayCallback
foreign import ccall safe "dynamic" callExecutorLost :: FunPtr ExecutorLostCallback -> ExecutorLostCallback

data Seen = SeenStatus TaskStatus | SeenOffers [Offer] | SeenError ByteString | SeenRegistered FrameworkID
          | SeenExecutorLost ExecutorID SlaveID Status
  deriving (Show, Eq)

-- | Records callbacks; statusUpdate throws for the task "throw".
newtype Probe = Probe (TVar [Seen])
instance ToScheduler Probe where
  statusUpdate (Probe v) _ s
    | taskStatusTaskId s == "throw" = throwIO (userError "statusUpdate failed on purpose")
    | otherwise = atomically (modifyTVar' v (SeenStatus s :))
  resourceOffers (Probe v) _ os = atomically (modifyTVar' v (SeenOffers os :))
  errorMessage (Probe v) _ m = atomically (modifyTVar' v (SeenError m :))
  registered (Probe v) _ fid _ = atomically (modifyTVar' v (SeenRegistered fid :))
  executorLost (Probe v) _ e s st = atomically (modifyTVar' v (SeenExecutorLost e s st :))

withBytes :: ByteString -> (Ptr Word8 -> CSize -> IO a) -> IO a
withBytes b f = BU.unsafeUseAsCStringLen b $ \(p, n) -> f (castPtr p) (fromIntegral n)

withProbe :: (TVar [Seen] -> SchedulerVTable -> DriverPtr -> IO a) -> IO a
withProbe body = do
  var <- newTVarIO []
  bracket (createScheduler (Probe var)) destroyScheduler $ \scheduler ->
    bracket (createDriver scheduler (frameworkInfo "" "callbacks") "127.0.0.1:1" Nothing) destroyDriver $ \driver ->
      body var (schedulerCallbacks scheduler) (driverHandle driver)

seen :: TVar [Seen] -> IO [Seen]
seen = fmap reverse . readTVarIO

status :: TaskID -> TaskState -> TaskStatus
status t st = TaskStatus t st Nothing Nothing Nothing Nothing Nothing Nothing Nothing Nothing Nothing

spec :: Spec
spec = describe "callback wrappers (called directly)" $ do
  it "decode the bytes and call the Haskell method" $ withProbe $ \var vt p -> do
    withBytes (encodeMessage (status "t1" TaskRunning)) $ callBytes (vtStatusUpdate vt) nullPtr p
    withBytes (encodeMessage (FrameworkID "fw")) $ \fp fl ->
      withBytes (encodeMessage (masterInfo "m" 1)) $ \mp ml -> callBytes2 (vtRegistered vt) nullPtr p fp fl mp ml
    let offer = Offer "o1" "fw" "s1" "host" [resource "cpus" (Scalar 1)] [] []
        encoded = [encodeMessage offer, encodeMessage offer { offerId' = "o2" }]
    withBytes (encoded !! 0) $ \a al -> withBytes (encoded !! 1) $ \b bl ->
      withArray [a, b] $ \ptrs -> withArray [al, bl] $ \lens -> callArray (vtResourceOffers vt) nullPtr p ptrs lens 2
    withBytes (encodeMessage (ExecutorID "e")) $ \ep el -> withBytes (encodeMessage (SlaveID "s")) $ \sp sl ->
      callExecutorLost (vtExecutorLost vt) nullPtr p ep el sp sl 15
    seen var `shouldReturn`
      [ SeenStatus (status "t1" TaskRunning), SeenRegistered "fw"
      , SeenOffers [offer, offer { offerId' = "o2" }], SeenExecutorLost "e" "s" (UnknownStatus 15) ]

  it "an undecodable message aborts the driver and reaches errorMessage" $ withProbe $ \var vt p -> do
    withBytes (BS.pack [0x0a, 0x7f, 0x01]) $ callBytes (vtStatusUpdate vt) nullPtr p
    errors <- seen var
    case errors of
      [SeenError message] -> message `shouldSatisfy` ("cannot decode TaskStatus" `BS.isInfixOf`)
      other -> expectationFailure ("expected one errorMessage, got " ++ show other)

  it "an exception in a callback is caught (the process goes on) and later callbacks still run" $
    withProbe $ \var vt p -> do
      withBytes (encodeMessage (status "throw" TaskRunning)) $ callBytes (vtStatusUpdate vt) nullPtr p
      withBytes (encodeMessage (status "after" Finished)) $ callBytes (vtStatusUpdate vt) nullPtr p
      seen var `shouldReturn` [SeenStatus (status "after" Finished)]

  it "empty and NULL byte arguments are read as empty messages" $ withProbe $ \var vt p -> do
    callBytes (vtStatusUpdate vt) nullPtr p nullPtr 0
    errors <- seen var
    map (\e -> case e of SeenError m -> "missing required field task_id" `isInfixOf` show m; _ -> False) errors
      `shouldBe` [True]
